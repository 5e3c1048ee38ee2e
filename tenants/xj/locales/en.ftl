xj-field-exam-language = Exam language
