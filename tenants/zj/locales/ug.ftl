zj-field-industry-category = كەسىپ تۈرى
