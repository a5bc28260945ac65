from docq.cli import run

run()
