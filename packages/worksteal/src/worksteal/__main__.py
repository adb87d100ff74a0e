from worksteal.cli import main

raise SystemExit(main())
