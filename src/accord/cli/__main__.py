from accord.cli import main

if __name__ == "__main__":  # not when a process pool imports it
    main()
