from tapestry.cli import main

raise SystemExit(main())
