#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    if sys.argv[1:] == ["init_keys"]:
        # Not a Django command: embedded mode's settings refuse to load without the key files
        # it writes (portal.keys).
        from portal.keys import main

        main()
        sys.exit()
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
