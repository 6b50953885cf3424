"""Rule files → the rule model: YAML with positions, the typed rule IR both engines compile
from, the loader that locates every problem, and the JSON Schema generated from the IR."""
