zj-field-industry-category = 行业类别
