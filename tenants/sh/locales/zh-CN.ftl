sh-field-district = 所属区
