"""``python -m survstat`` runs the command-line interface."""

from survstat.cli import main

if __name__ == "__main__":
    main()
