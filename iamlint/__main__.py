from iamlint.cli import run

run()
