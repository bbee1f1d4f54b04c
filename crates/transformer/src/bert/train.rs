//! Pretraining with masked language modelling and fine-tuning a classifier, with small budgets.
