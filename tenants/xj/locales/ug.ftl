xj-field-exam-language = ئىمتىھان تىلى
