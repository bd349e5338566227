import apache_beam as beam

raise ValueError("the config file is missing")
