js-field-training-institution = تەربىيەلەش ئورنى نومۇرى
