from patchq.cli import main

main()
