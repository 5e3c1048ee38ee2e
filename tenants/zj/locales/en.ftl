zj-field-industry-category = Industry category
