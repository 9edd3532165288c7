"""Text-generation metrics (BLEU, sacreBLEU, chrF, TER, ROUGE, METEOR, WER...): one module per metric."""
