from mri_linf.cli import main

raise SystemExit(main())
