from groundswell.cli import main

raise SystemExit(main())
