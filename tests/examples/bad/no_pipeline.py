import apache_beam as beam

print("hello")
