from pinst.cli import main

raise SystemExit(main())
