"""``govcheck watch``: the case-level kinds on durable-rules, fed JSON lines, emitting 黄牌 and
红牌 as soon as they are known (docs/watch.md)."""
