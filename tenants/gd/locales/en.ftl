gd-field-special-category = Special operations category
