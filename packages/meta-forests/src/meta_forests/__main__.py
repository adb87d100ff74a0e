from meta_forests.cli import main

raise SystemExit(main())
