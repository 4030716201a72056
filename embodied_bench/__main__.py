from embodied_bench.cli import main

main()
