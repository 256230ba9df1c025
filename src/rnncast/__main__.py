from rnncast.cli.app import main

main()
