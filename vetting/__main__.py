import sys

from vetting.cli import main

sys.exit(main())
