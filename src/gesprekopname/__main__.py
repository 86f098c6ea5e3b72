from gesprekopname.cli import main

main()
