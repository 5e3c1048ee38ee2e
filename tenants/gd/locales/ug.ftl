gd-field-special-category = ئالاھىدە مەشغۇلات تۈرى
