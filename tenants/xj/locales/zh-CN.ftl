xj-field-exam-language = 考试语言
