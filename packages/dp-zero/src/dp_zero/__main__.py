from dp_zero.cli import main

raise SystemExit(main())
