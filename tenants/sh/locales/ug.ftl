sh-field-district = رايون
