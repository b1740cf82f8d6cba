"""The built-in rule catalog, installed as `iamlint.rules_data`: data only (one JSON file per
rule family, validated by iamlint/checks/rule_schema.json). This file only makes the folder
importable so that `importlib.resources` finds it in editable installs too."""
