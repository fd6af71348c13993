"""Encoders whose per-language pretraining is set by design, and the synthetic languages of the
CPU-scale controlled experiment (volume and diversity as treatments, not observations)."""
