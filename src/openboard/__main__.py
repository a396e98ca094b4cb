from openboard.cli import main

main()
