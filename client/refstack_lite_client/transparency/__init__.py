"""Transparency: the Merkle log's proofs, signed notes and checkpoints. Pure code shared by the
server (which keeps the log) and the client (which checks certificates against it offline)."""
