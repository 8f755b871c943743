import sys

from sentinelx.cli import main

sys.exit(main())
