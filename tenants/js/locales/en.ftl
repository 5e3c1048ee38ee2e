js-field-training-institution = Training institution code
