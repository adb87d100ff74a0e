from scaling_forecast.cli import main

raise SystemExit(main())
