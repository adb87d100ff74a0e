from flat_embed.cli import main

raise SystemExit(main())
