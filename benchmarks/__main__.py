"""`python -m benchmarks [--quick] [--threads N] [--out-dir DIR] [--no-torch]`"""
from benchmarks.run import main

raise SystemExit(main())
