"""What a run produces: findings with their evidence and messages, and the ``Report`` every
renderer reads."""
