from overparam.cli import main

raise SystemExit(main())
