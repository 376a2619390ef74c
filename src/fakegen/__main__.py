"""Allow ``python -m fakegen`` as an alias of the ``fakegen`` command."""

from fakegen.cli import main

if __name__ == "__main__":
    main()
