from ecom_models.cli import main

raise SystemExit(main())
