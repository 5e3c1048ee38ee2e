js-field-training-institution = 培训机构编号
