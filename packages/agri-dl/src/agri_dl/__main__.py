from agri_dl.cli import main

raise SystemExit(main())
