from docq.entry import main

main()
