"""The application uvicorn serves (`komek serve`, or `uvicorn komek.api.main:app`), built from the
KOMEK_* settings of the environment."""
from komek.api.app import create_app

app = create_app()
