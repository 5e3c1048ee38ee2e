gd-field-special-category = 特种作业类别
