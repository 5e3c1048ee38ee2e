sh-field-district = District
