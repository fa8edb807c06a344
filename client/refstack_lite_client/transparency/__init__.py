"""Transparency: the Merkle log's proofs, signed notes and checkpoints, checked offline."""
