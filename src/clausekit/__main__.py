from clausekit.cli import run

run()
