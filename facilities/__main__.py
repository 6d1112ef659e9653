from facilities.cli import app

app()
